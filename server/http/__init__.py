"""The HTTP side: the board API, commands, export, pages, errors and security headers."""
