"""memlab's SQL files (views and named analytic queries), installed as ``memlab.sql``."""
