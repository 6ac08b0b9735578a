package domain

// LiveEvent is one event of a live stream: a message created, edited or
// deleted, at its position in the event log (a client resumes after it),
// a gap: numbers that will never be created (handed out before the
// sequencer lost its state, see SequenceFences), reported so that a client
// does not wait for them, or, on a user's stream, a Notice (no position:
// notices are not resumed).
type LiveEvent struct {
	Position string
	Event    Event // MessageCreated, MessageEdited or MessageDeleted; nil for a gap or a notice
	GapFrom  int64
	GapTo    int64
	Notice   *Notice
}

// Chat names the chat the event is about.
func (e LiveEvent) Chat() ChatKey {
	if e.Notice != nil {
		return ChatKey{Token: e.Notice.App, Number: e.Notice.Chat}
	}
	token, chat, _, _, _ := Subject(e.Event)
	return ChatKey{Token: token, Number: chat}
}
