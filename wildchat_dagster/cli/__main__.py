"""`python -m wildchat_dagster.cli`: the same command as the `wildchat-dagster` script."""

from wildchat_dagster.cli.commands import main

if __name__ == "__main__":
    main()
