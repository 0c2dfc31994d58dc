"""Server-rendered pages: landing page, the privacy notice, later the chat, privacy centre and consoles."""
