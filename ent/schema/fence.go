package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// SequenceFence records that a sequence was re-seeded after the sequencer
// lost its state: numbering of scope (application "app" or chat "chat")
// parent_id resumed after resume_after in epoch. An event of an older epoch
// numbered above the first later fence's resume_after is refused, because
// its number may have been handed out again.
type SequenceFence struct{ ent.Schema }

func (SequenceFence) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "sequence_fences"}}
}

func (SequenceFence) Fields() []ent.Field {
	return []ent.Field{
		field.String("scope").MaxLen(8).Immutable(),
		field.Int("parent_id").Immutable(),
		field.Int64("epoch").Immutable(),
		field.Int64("resume_after").Immutable(),
		field.Time("created_at").Immutable().SchemaType(datetime),
	}
}

func (SequenceFence) Indexes() []ent.Index {
	return []ent.Index{index.Fields("scope", "parent_id", "epoch").Unique()}
}
