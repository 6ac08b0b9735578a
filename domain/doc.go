// Package domain holds the chat service's entities, value objects, events and
// errors. It imports only the standard library: no ent, fiber, zap or fx.
package domain
