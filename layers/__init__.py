"""Map layers as data (JSON-serialisable specs) and the renderers that draw them."""
