// Package schema is the ent schema of the system of record. The SQL migrations
// under adapters/entstore/migrations are written to match it; a test checks
// that they do.
package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// datetime keeps microseconds on MySQL, where ent's default would be whole seconds.
var datetime = map[string]string{dialect.MySQL: "datetime(6)"}

// Application is a tenant; clients know it only by its token.
type Application struct{ ent.Schema }

func (Application) Fields() []ent.Field {
	return []ent.Field{
		field.String("token").MaxLen(64).NotEmpty().Immutable(),
		// The API counts a name's characters, and MySQL's VARCHAR(255) too;
		// ent's MaxLen would count bytes, so domain.NewName is the check.
		field.String("name"),
		field.Int64("chats_count").Default(0),
		// seq_epoch is the epoch of the chat-number sequence: it grows with
		// each fence (see ports.SequenceFences and sequence_fences).
		field.Int64("seq_epoch").Default(0),
		// access is "open" or "protected" (domain.Access); the secrets are
		// kept only as their SHA-256, in hex (domain.SecretHash), empty for none.
		field.String("access").MaxLen(16).Default("open"),
		field.String("secret_hash").MaxLen(64).Optional(),
		field.String("previous_secret_hash").MaxLen(64).Optional(),
		field.Time("previous_until").Optional().Nillable().SchemaType(datetime),
		field.Time("created_at").Immutable().SchemaType(datetime),
		field.Time("updated_at").SchemaType(datetime),
	}
}

func (Application) Edges() []ent.Edge {
	return []ent.Edge{edge.To("chats", Chat.Type)}
}

func (Application) Indexes() []ent.Index {
	return []ent.Index{index.Fields("token").Unique()}
}
