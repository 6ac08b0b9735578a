package redis

import (
	"context"
	_ "embed" // relay.lua
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/redis/rueidis"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ports"
)

//go:embed lua/relay.lua
var relayLua string

var scriptRelay = rueidis.NewLuaScript(relayLua)

// relayMarkTTL is how long an appended outbox entry's marker stays: far
// longer than a relay could take to drop the entry from the outbox.
const relayMarkTTL = 24 * 3600

// Relay appends the events the degraded write path kept in the outbox
// (ports.Outbox, while Redis could not be reached) to their streams, oldest
// first, then drops them from the outbox. Each entry is appended once (a
// marker in its partition's slot), so relays on several api instances at
// once, or one that failed to drop what it appended, append nothing twice.
//
// Once a chat's events are appended, its sequences are fenced again
// (forced: Redis may still hold them), so that Redis resumes above what the
// store numbered: its next message number above the degraded ones, its
// next version in a new epoch above the degraded edits' (which outrank every
// version of their own epoch), and with keys it does not know asked of the
// store. An application whose chats the store numbered keeps its chat
// sequence (a reservation skips past them: ports.SequenceFences.Reserve);
// its hash is marked fenced for the keys' sake.
type Relay struct {
	seq    *Sequencer
	outbox ports.Outbox
	batch  int
}

// NewRelay relays through seq's client and key layout, batch entries at a time.
func NewRelay(seq *Sequencer, outbox ports.Outbox, batch int) *Relay {
	return &Relay{seq: seq, outbox: outbox, batch: max(batch, 1)}
}

// Pass relays everything in the outbox and returns how many entries it
// appended. An error leaves the rest for the next pass.
func (r *Relay) Pass(ctx context.Context) (int, error) { return r.PassUpTo(ctx, math.MaxInt64) }

// PassUpTo relays the outbox's entries up to id last (those of one api's
// writes, for it to go back to Redis after them; later ones are left to the
// next pass).
func (r *Relay) PassUpTo(ctx context.Context, last int64) (int, error) {
	total := 0
	for {
		entries, err := r.outbox.Pending(ctx, r.batch)
		if err != nil {
			return total, err
		}
		full := len(entries) == r.batch
		for i, e := range entries {
			if e.ID > last {
				entries, full = entries[:i], false
				break
			}
		}
		if len(entries) == 0 {
			return total, nil
		}
		n, err := r.relay(ctx, entries)
		total += n
		if err != nil || !full {
			return total, err
		}
	}
}

func (r *Relay) relay(ctx context.Context, entries []ports.OutboxEntry) (int, error) {
	appended := 0
	byTopic := map[string][]ports.OutboxEntry{}
	var topics []string
	for _, e := range entries {
		if _, ok := byTopic[e.Topic]; !ok {
			topics = append(topics, e.Topic)
		}
		byTopic[e.Topic] = append(byTopic[e.Topic], e)
	}
	for _, topic := range topics {
		n, err := r.append(ctx, topic, byTopic[topic])
		appended += n
		if err != nil {
			return appended, err
		}
	}
	// The chats' sequences are fenced before their entries leave the
	// outbox: a relay that fails between the two appends nothing again and
	// fences once more.
	type seq struct {
		token domain.Token
		chat  int64
	}
	var chats []seq
	for _, e := range entries {
		if s := (seq{e.Token, e.Chat}); e.Chat > 0 && !slices.Contains(chats, s) {
			chats = append(chats, s)
		}
	}
	for _, c := range chats {
		if err := r.seq.seedChat(ctx, c.token, c.chat, true); err != nil {
			return appended, fmt.Errorf("fencing chat %d again after the relay: %w", c.chat, err)
		}
	}
	ids := make([]int64, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	return appended, r.outbox.Relayed(ctx, ids)
}

// append appends one stream's entries, in one script.
func (r *Relay) append(ctx context.Context, topic string, entries []ports.OutboxEntry) (int, error) {
	keys := []string{topic}
	args := []string{strconv.FormatInt(r.seq.cfg.MaxLen, 10), strconv.Itoa(relayMarkTTL), strconv.Itoa(len(entries))}
	var apps []string
	for _, e := range entries {
		keys = append(keys, "chat:{"+topic+"}:relayed:"+strconv.FormatInt(e.ID, 10))
		args = append(args, e.UUID, e.Payload, e.MD)
		if app := r.seq.keysOf(e.Token).app(); e.Chat == 0 && !slices.Contains(apps, app) {
			apps = append(apps, app)
		}
	}
	n, err := r.seq.run(ctx, scriptRelay, append(keys, apps...), args...)
	return int(n), err
}
