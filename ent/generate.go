// Package ent holds the hand-written schema (ent/schema) and the code ent
// generates from it. Only the ent-backed store adapter imports this package.
package ent

//go:generate go run -mod=mod entgo.io/ent/cmd/ent generate --feature sql/upsert,sql/execquery,sql/modifier ./schema
