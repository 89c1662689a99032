"""One module per subcommand family; each function takes explicit arguments and returns
a `Result` (or raises a `MilestoneError`)."""
