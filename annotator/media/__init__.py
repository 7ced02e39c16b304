"""Media access over bundles: frame-accurate decoding, frame caches, rendering (Qt-free)."""
