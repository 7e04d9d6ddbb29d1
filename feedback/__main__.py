"""`python -m feedback …` is the same as the `feedback` command."""

from feedback.cli import main

main()
