package domain

// LiveEvent is one event of a chat's live stream: a message created, edited
// or deleted, at its position in the event log (a client resumes after
// it), or a gap: numbers that will never be created (handed out before the
// sequencer lost its state, see SequenceFences), reported so that a client
// does not wait for them.
type LiveEvent struct {
	Position string
	Event    Event // MessageCreated, MessageEdited or MessageDeleted; nil for a gap
	GapFrom  int64
	GapTo    int64
}

// Chat names the chat the event is about.
func (e LiveEvent) Chat() ChatKey {
	token, chat, _, _, _ := Subject(e.Event)
	return ChatKey{Token: token, Number: chat}
}
