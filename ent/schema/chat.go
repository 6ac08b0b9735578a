package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Chat is numbered per application; (application_id, number) is unique so that
// a redelivered ChatCreated event cannot insert it twice.
type Chat struct{ ent.Schema }

func (Chat) Fields() []ent.Field {
	return []ent.Field{
		field.Int("application_id").Immutable(),
		field.Int64("number").Positive().Immutable(),
		field.Int64("messages_count").Default(0),
		// seq_epoch is the epoch of the chat's message sequence (see sequence_fences).
		field.Int64("seq_epoch").Default(0),
		field.Time("created_at").SchemaType(datetime),
		field.Time("updated_at").SchemaType(datetime),
	}
}

func (Chat) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("application", Application.Type).Ref("chats").Field("application_id").Unique().Required().Immutable(),
		edge.To("messages", Message.Type),
	}
}

func (Chat) Indexes() []ent.Index {
	return []ent.Index{index.Fields("application_id", "number").Unique()}
}
