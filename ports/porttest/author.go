package porttest

import "github.com/chatsvc/chat/domain"

// withAuthor is e written by author, and messageAuthor the author e carries.
func withAuthor(e domain.MessageCreated, author domain.UserID) domain.MessageCreated {
	e.Author = string(author)
	return e
}

func messageAuthor(e domain.MessageCreated) domain.UserID { return domain.UserID(e.Author) }
