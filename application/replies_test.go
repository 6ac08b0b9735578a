package application_test

import (
	"context"
	"errors"
	"testing"

	"github.com/chatsvc/chat/adapters/memory"
	"github.com/chatsvc/chat/application"
	"github.com/chatsvc/chat/domain"
)

// A reply may answer a message not persisted yet but on its way (in the
// live log), never one that is nowhere, nor one that was deleted.
func TestRepliesAnswerMessagesOnTheirWay(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	tok := f.appWithChat(t)
	p := application.NewProjector(f.store, f.store, f.cache, memory.NewMemberCache())
	apply := func() {
		t.Helper()
		if err := p.Apply(ctx, f.pub.Events); err != nil {
			t.Fatal(err)
		}
		f.pub.Events = nil
	}
	apply()
	log := memory.NewLiveLog(100)
	msgs := application.NewMessages(f.pub, f.store, log, fixedClock{}, 0)
	path := application.ChatPath{Token: tok, Chat: "1"}
	parent, err := msgs.Create(ctx, domain.Caller{}, path, application.NewMessage{Body: "parent"}, domain.Idempotency{})
	if err != nil {
		t.Fatal(err)
	}
	reply := application.NewMessage{Body: "reply", ReplyTo: parent.Number}
	var v *domain.ValidationError
	if _, err := msgs.Create(ctx, domain.Caller{}, path, reply, domain.Idempotency{}); !errors.As(err, &v) {
		t.Fatalf("a reply to a message neither persisted nor in the log: %v", err)
	}
	log.Append(f.pub.Events) // the parent is on its way, as the live stream shows it
	if m, err := msgs.Create(ctx, domain.Caller{}, path, reply, domain.Idempotency{}); err != nil || m.ReplyTo != parent.Number {
		t.Fatalf("a reply to a message on its way: %+v, %v", m, err)
	}
	apply()
	if err := msgs.Delete(ctx, application.MessagePath{Token: tok, Chat: "1", Message: "1"}, domain.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	apply()
	if _, err := msgs.Create(ctx, domain.Caller{}, path, reply, domain.Idempotency{}); !errors.As(err, &v) {
		t.Fatalf("a reply to a deleted message: %v", err)
	}
}
