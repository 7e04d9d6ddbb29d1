"""`python -m feedback …` is the same as the `feedback` command."""

from feedback.console import main

if __name__ == "__main__":
    main()
