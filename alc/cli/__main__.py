"""``python -m alc.cli``: the ``alc`` command."""

from alc.cli import main

if __name__ == "__main__":
    main()
