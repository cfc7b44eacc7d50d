"""``python -m alc``: the ``alc`` command line (see :mod:`alc.cli`)."""

from alc.cli import main

if __name__ == "__main__":
    main()
