"""The demo, as data: a township with its people, devices and cases, and sample documents.

    demo.json       the demo agency, its people (accounts) and devices, and what the case its
                    officer records brings besides its bundle (a stored 笔录, footage titles)
    recorded/       that case, as a case bundle (docs/bundle.md)
    bundles/        the demo's other cases, as case bundles, imported in file-name order
    samples/        sample documents: one filled document of every kind in the catalogue, as
                    the text records of four case bundles (not loaded into the demo)

``data`` reads the files, ``loader.load_demo`` feeds them to the services (``liuhen demo``,
``liuhen serve --demo``), ``documents.sample_document`` turns a sample back into a
``FilledDocument`` for previews and tests. Nothing is read at import time.
"""
