"""Messages of a conversation: questions and answers as history stored them."""
