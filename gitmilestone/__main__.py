from __future__ import annotations

from gitmilestone.quick import main

if __name__ == "__main__":
    main()
