"""OpenAI-compatible model backends: Ollama, vLLM, LM Studio, llama.cpp, custom servers."""
