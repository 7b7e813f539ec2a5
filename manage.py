#!/usr/bin/env python
from plumbline.cli import main

if __name__ == "__main__":
    main()
