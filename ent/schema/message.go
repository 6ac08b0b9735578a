package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Message is numbered per chat. version orders edits: a row only takes a body
// whose version is newer than the one it holds, so an old event can never
// overwrite a later edit.
type Message struct{ ent.Schema }

func (Message) Fields() []ent.Field {
	return []ent.Field{
		field.Int("chat_id").Immutable(),
		field.Int64("number").Positive().Immutable(),
		field.Text("body").SchemaType(map[string]string{dialect.MySQL: "mediumtext"}),
		// author is the user who wrote it, "" for none (API.md "Authors and
		// rights"): the application's own user id, at most 128 characters.
		field.String("author").MaxLen(128).Default(""),
		// kind is the message's type (API.md "Message structure": text,
		// system or the application's own); named kind, not type, which
		// ent's generated mutations already use.
		field.String("kind").MaxLen(32).Default("text"),
		// attributes is the JSON object the client sent, "" for none
		// (domain.ParseAttributes: at most 4 KiB).
		field.Text("attributes").Default(""),
		// reply_to is the number of the message of the same chat it answers,
		// 0 for none; reply_count how many live messages answer this one,
		// kept exact by the projection.
		field.Int64("reply_to").Default(0),
		field.Int64("reply_count").Default(0),
		field.Int64("version").Default(0),
		// deleted marks a tombstone: the number stays taken, the body is gone,
		// and no edit brings the message back.
		field.Bool("deleted").Default(false),
		field.Time("created_at").SchemaType(datetime),
		field.Time("updated_at").SchemaType(datetime),
	}
}

func (Message) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("chat", Chat.Type).Ref("messages").Field("chat_id").Unique().Required().Immutable(),
	}
}

func (Message) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("chat_id", "number").Unique(),
		// A message's replies, paged by number.
		index.Fields("chat_id", "reply_to", "number"),
	}
}
