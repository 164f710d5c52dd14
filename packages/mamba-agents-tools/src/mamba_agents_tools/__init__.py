"""Built-in filesystem, search and bash tools with a sandbox that holds."""
