package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/chatsvc/chat/application"
	"github.com/chatsvc/chat/domain"
)

// followChat streams the chat's message events as Server-Sent Events:
// message.created, message.edited, message.deleted (each with an id the
// client resumes after, by Last-Event-ID or ?after=), gap (numbers that
// will never be created), reset (the position asked for is gone: reload),
// and a comment every heartbeat so that proxies keep the connection open.
func (h *handlers) followChat(c *fiber.Ctx) error {
	after, err := h.resumeFrom(c)
	if err != nil {
		return err
	}
	st, err := h.uc.Live.Follow(c.UserContext(), chatPath(c), after)
	if err != nil {
		return err
	}
	var ended func() bool
	if allowed := h.readRight(c); allowed != nil {
		ended = func() bool { return !allowed() }
	}
	return h.serveStream(c, st, streamRules{
		ended: ended,
		write: func(w *bufio.Writer, e domain.LiveEvent) { writeLive(w, e, false) },
		reset: "the position asked for is no longer kept; reload the chat and follow from now",
	})
}

// resumeFrom is the position a live stream resumes after: Last-Event-ID,
// else ?after (for a first connection; a reconnection's Last-Event-ID
// wins, but a malformed after is refused all the same), else "" (now).
func (h *handlers) resumeFrom(c *fiber.Ctx) (string, error) {
	after := c.Get("Last-Event-ID")
	if after == "" && len(c.Request().Header.PeekAll("Last-Event-ID")) > 0 {
		return "", badRequest("Last-Event-ID is empty: give the id of the last event received, or leave it out")
	}
	if q := c.Query("after"); q != "" && !h.uc.Live.ValidPosition(q) {
		return "", badRequest("after is not a position of this stream")
	} else if after == "" {
		after = q
	}
	return after, nil
}

// streamRules are what differs between a chat's stream and a user's.
type streamRules struct {
	// ended, if not nil, tells that the stream's credential no longer
	// allows it (checked before each event and at least every
	// recheckRights): the stream ends, and nothing more reaches the client.
	ended func() bool
	// skip, if not nil, leaves an event out (a chat the user was removed
	// from, before its member.removed arrives).
	skip  func(domain.LiveEvent) bool
	write func(*bufio.Writer, domain.LiveEvent)
	reset string
}

// serveStream writes a live stream as Server-Sent Events: the head goes
// out as any answer's (with the request id and rate-limit headers the
// middleware set); the body then runs until the connection closes,
// written by the stream's one goroutine with a small buffer, a comment
// every heartbeat so that proxies keep the connection open.
func (h *handlers) serveStream(c *fiber.Ctx, st *application.Stream, rules streamRules) error {
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no")
	c.Set(fiber.HeaderConnection, "close")
	head := bytes.Replace(c.Response().Header.Header(), []byte("Content-Length: 0\r\n"), nil, 1)
	c.Context().HijackSetNoResponse(true)
	heartbeat := h.heartbeat
	wait := heartbeat
	if rules.ended != nil {
		wait = min(heartbeat, recheckRights)
	}
	c.Context().Hijack(func(conn net.Conn) {
		defer st.Close()
		w := bufio.NewWriterSize(conn, 512)
		_, _ = w.Write(head)
		// Each write gets its own deadline, a few heartbeats long.
		extend := func() { _ = conn.SetWriteDeadline(time.Now().Add(3 * heartbeat)) }
		extend()
		if st.Reset {
			writeEvent(w, "", "reset", map[string]string{"reason": rules.reset})
		}
		_, _ = w.WriteString(": following\n\n")
		if w.Flush() != nil {
			return
		}
		quiet := time.Now()
		for {
			e, ok, err := st.Next(context.Background(), wait)
			if err != nil {
				return // dropped, or the instance is stopping: the client reconnects
			}
			if rules.ended != nil && rules.ended() {
				return // the user was removed: nothing more reaches them
			}
			if ok && rules.skip != nil && rules.skip(e) {
				continue
			}
			if !ok && time.Since(quiet) < heartbeat {
				continue
			}
			extend()
			quiet = time.Now()
			if !ok {
				_, _ = w.WriteString(": heartbeat\n\n")
			} else {
				rules.write(w, e)
			}
			if w.Flush() != nil {
				return // the client went away
			}
		}
	})
	return nil
}

// writeLive writes a message event, or a gap; withChat (a user's stream
// of all their chats) adds the chat's number to each.
func writeLive(w *bufio.Writer, e domain.LiveEvent, withChat bool) {
	var chat *int64
	if withChat {
		n := e.Chat().Number
		chat = &n
	}
	switch ev := e.Event.(type) {
	case nil:
		writeEvent(w, "", "gap", map[string]int64{"from": e.GapFrom, "to": e.GapTo})
	case domain.MessageCreated:
		writeEvent(w, e.Position, "message.created", liveMessageJSON{chat, toMessageJSON(ev.Message())})
	case domain.MessageEdited:
		writeEvent(w, e.Position, "message.edited", liveMessageJSON{chat, toMessageJSON(ev.Message())})
	case domain.MessageDeleted:
		writeEvent(w, e.Position, "message.deleted", struct {
			Chat      *int64    `json:"chat,omitempty"`
			Number    int64     `json:"number"`
			DeletedAt time.Time `json:"deleted_at"`
			Reason    string    `json:"reason,omitempty"`
		}{chat, ev.Number, ev.DeletedAt, ev.Reason})
	}
}

// liveMessageJSON is a message on a live stream; a user's stream names its chat.
type liveMessageJSON struct {
	Chat *int64 `json:"chat,omitempty"`
	messageJSON
}

func writeEvent(w *bufio.Writer, id, kind string, data any) {
	raw, _ := json.Marshal(data)
	if id != "" {
		_, _ = w.WriteString("id: " + id + "\n")
	}
	_, _ = w.WriteString("event: " + kind + "\ndata: ")
	_, _ = w.Write(raw)
	_, _ = w.WriteString("\n\n")
}

// maxWait bounds a long poll.
const maxWait = 60 * time.Second

type waitedJSON struct {
	Data       []messageJSON `json:"data"`
	HasMore    bool          `json:"has_more"`
	NextCursor *string       `json:"next_cursor"`
	Through    int64         `json:"through"`
	Gaps       []gapJSON     `json:"gaps,omitempty"`
}

type gapJSON struct {
	From int64 `json:"from"`
	To   int64 `json:"to"`
}

// waitMessages is the long poll: GET …/messages?after=N&wait=30s answers at
// once when messages after N exist, else holds until one does or the wait
// ends. Nothing is skipped: "through" is the number to ask after next. It
// waits for what comes after: with a page that walks elsewhere (before,
// around, newest first) it makes no sense, and is a 400.
func (h *handlers) waitMessages(c *fiber.Ctx, page domain.PageRequest[int64]) error {
	wait, err := time.ParseDuration(c.Query("wait"))
	if err != nil || wait <= 0 || wait > maxWait {
		return badRequest(fmt.Sprintf("wait must be a duration such as 30s, at most %s", maxWait))
	}
	if page.Before > 0 || page.Around > 0 || page.Backward || page.Desc {
		return badRequest("wait follows the messages after a number: use it with after or a forward cursor, not with before, around or order=desc")
	}
	ctx, revoked := h.whileAllowed(c)
	res, err := h.uc.Live.WaitMessages(ctx, chatPath(c), page.After, page.Limit, wait)
	if revoked() {
		return domain.NotFoundf("chat %s not found in this application", c.Params("chat"))
	}
	if err != nil {
		return err
	}
	out := waitedJSON{Data: make([]messageJSON, 0, len(res.Page.Items)), HasMore: res.Page.HasMore, Through: res.Through}
	for _, m := range res.Page.Items {
		out.Data = append(out.Data, toMessageJSON(m))
	}
	for _, g := range res.Gaps {
		out.Gaps = append(out.Gaps, gapJSON{g[0], g[1]})
	}
	return c.JSON(out)
}

// recheckRights: how often a user's live request checks that they may
// still read the chat (a lookup in the api's memory, where a removal
// lands from Redis within a network hop); an event is checked before it
// is written, so none reaches a removed user.
const recheckRights = time.Second

// readRight is how a user's live request checks that they may still read
// the chat of the path: false once they may not (removed, the chat hidden
// from them, or their token expired); a dependency down is no answer, and
// keeps the request. Nil for the application itself.
func (h *handlers) readRight(c *fiber.Ctx) func() bool {
	caller, err := callerOf(c)
	if err != nil || caller.IsApp() {
		return nil
	}
	chat := c.Params("chat")
	return func() bool {
		if !caller.Until.IsZero() && time.Now().After(caller.Until) {
			return false // the token expired: the request ends with its credential
		}
		err := h.uc.Members.Authorize(context.Background(), caller, chat, domain.ActRead)
		return !errors.Is(err, domain.ErrNotFound) && !errors.Is(err, domain.ErrForbidden)
	}
}

// whileAllowed is the request's context, ended when its user may no longer
// read the chat; revoked, called once the request is done, tells whether
// the user lost the right meanwhile (then the answer is not theirs).
func (h *handlers) whileAllowed(c *fiber.Ctx) (context.Context, func() bool) {
	allowed := h.readRight(c)
	if allowed == nil {
		return c.UserContext(), func() bool { return false }
	}
	ctx, cancel := context.WithCancel(c.UserContext())
	var lost atomic.Bool
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(recheckRights)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if !allowed() {
					lost.Store(true)
					cancel()
					return
				}
			}
		}
	}()
	return ctx, func() bool {
		close(done)
		cancel()
		return lost.Load() || !allowed() // what the wait found is checked too
	}
}
