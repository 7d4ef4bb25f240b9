// Safetensors module.
