package eventwire

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill-redisstream/pkg/redisstream"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

// A template's metadata, with or without a request id of any length the
// msgpack string forms cover, reads back through Watermill's unmarshaller.
func TestTemplateCarriesTheRequestID(t *testing.T) {
	ev := domain.MessageCreated{Token: domain.NewToken(), Chat: 3, Body: "hi", CreatedAt: time.Now()}
	for _, id := range []string{"", "a", strings.Repeat("b", 31), strings.Repeat("c", 32), strings.Repeat("d", 255), strings.Repeat("e", 256), strings.Repeat("f", 1000)} {
		entry, err := Template(ports.WithRequestID(context.Background(), id), ev)
		if err != nil {
			t.Fatal(err)
		}
		if len(id) > ports.MaxRequestIDLen { // not carried; the encoding still holds
			entry.Metadata = withEntry(entry.Metadata, RequestIDKey, id)
		}
		msg, err := redisstream.DefaultMarshallerUnmarshaller{}.Unmarshal(map[string]any{
			"_watermill_message_uuid": entry.UUID,
			"payload":                 `{"number":7,` + entry.Rest,
			"metadata":                entry.Metadata,
		})
		if err != nil {
			t.Fatalf("id of %d bytes: %v", len(id), err)
		}
		if got := msg.Metadata.Get(RequestIDKey); got != id {
			t.Fatalf("request id %q, want %q", got, id)
		}
		if got := msg.Metadata.Get(TypeKey); got != "message.created" {
			t.Fatalf("event type %q after adding a request id of %d bytes", got, len(id))
		}
		if n := len(msg.Metadata); (id == "" && n != 1) || (id != "" && n != 2) {
			t.Fatalf("metadata %v", msg.Metadata)
		}
		if _, err := Decode(msg); err != nil {
			t.Fatal(err)
		}
	}
}

// A message's author goes through the wire and back (creations and edits),
// and so does a chat's setup; an entry written before messages had authors
// still reads, with none; a setup no chat can have is not an event.
func TestAuthorsOnTheWire(t *testing.T) {
	at := time.Date(2026, 12, 3, 16, 0, 0, 0, time.UTC)
	tok := domain.NewToken()
	for _, ev := range []domain.Event{
		domain.MessageCreated{Token: tok, Chat: 3, Number: 4, Body: "hi", Author: "ann 名前", CreatedAt: at, Epoch: 1},
		domain.MessageCreated{Token: tok, Chat: 3, Number: 5, Body: "hi", CreatedAt: at},
		domain.MessageEdited{Token: tok, Chat: 3, Number: 4, Body: "ho", Author: "ann", Version: 2, EditedAt: at, CreatedAt: at},
		domain.ChatCreated{Token: tok, Number: 3, CreatedAt: at, Creator: "ann 名前", Visibility: domain.VisibilityPublic},
		domain.ChatCreated{Token: tok, Number: 4, CreatedAt: at},
		domain.MessageCreated{Token: tok, Chat: 3, Number: 6, Body: "card", Type: "card.v1", Attributes: `{"b":1.50,"a":"<&>\u00e9"}`, CreatedAt: at},
		domain.MessageEdited{Token: tok, Chat: 3, Number: 6, Body: "ho", Type: "card.v1", NewAttributes: true, Version: 3, EditedAt: at},
		domain.MessageCreated{Token: tok, Chat: 3, Number: 7, Body: "re", ReplyTo: 6, CreatedAt: at},
		domain.MessageEdited{Token: tok, Chat: 3, Number: 7, Body: "re!", ReplyTo: 6, Version: 4, EditedAt: at},
	} {
		msg, err := Encode(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(msg)
		if err != nil || got != ev {
			t.Fatalf("%+v came back as %+v (%v)", ev, got, err)
		}
	}
	old := message.NewMessage("x", []byte(`{"number":2,"token":"`+string(tok)+`","chat":1,"body":"from before","at":"2026-12-01T00:00:00Z"}`))
	old.Metadata.Set(TypeKey, "message.created")
	got, err := Decode(old)
	if c, ok := got.(domain.MessageCreated); err != nil || !ok || c.Author != "" || c.Body != "from before" {
		t.Fatalf("an entry without an author: %+v, %v", got, err)
	}
}

func TestABadChatSetupIsNotAnEvent(t *testing.T) {
	for _, setup := range []string{`"creator":""`, `"creator":"a\tb"`, `"visibility":"everyone"`} {
		msg := message.NewMessage("x", []byte(`{"number":2,"token":"`+string(domain.NewToken())+`",`+setup+`,"at":"2026-12-01T00:00:00Z"}`))
		msg.Metadata.Set(TypeKey, "chat.created")
		e, err := Decode(msg)
		if setup == `"creator":""` { // empty: none, as omitted
			if err != nil {
				t.Fatalf("%s: %v", setup, err)
			}
			continue
		}
		if !errors.Is(err, domain.ErrInvalidEvent) {
			t.Fatalf("%s decoded as %+v, %v", setup, e, err)
		}
	}
}
