"""The embedded offline default model: llama.cpp in-process with a small bundled GGUF."""
