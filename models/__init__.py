"""Math and networks for Generative Models Lab. Importable and testable without Gradio."""
