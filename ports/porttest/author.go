package porttest

import "github.com/chatsvc/chat/domain"

// withAuthor is e written by author, and messageAuthor the author e
// carries: messages carry none yet (issue 20), so every message is
// everyone's unread.
func withAuthor(e domain.MessageCreated, _ domain.UserID) domain.MessageCreated { return e }

func messageAuthor(domain.MessageCreated) domain.UserID { return "" }
