"""An app's voice through Dify: speech to text and text to speech."""
