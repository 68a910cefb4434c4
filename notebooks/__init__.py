"""memlab's notebooks (quickstart, dashboard, ...), installed as ``memlab.notebooks`` so that
``memlab demo`` finds the dashboard from an installed package too."""
