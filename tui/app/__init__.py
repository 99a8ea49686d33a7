"""The Textual app: the App, its engine thread, the messages between them, the stylesheet."""
