"""Qt widgets and dialogs: they present state and forward the user's actions, nothing more."""
