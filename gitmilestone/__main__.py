from __future__ import annotations

from gitmilestone.cli import main

if __name__ == "__main__":
    main()
