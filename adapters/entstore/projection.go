package entstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"entgo.io/ent/dialect"
	"github.com/go-sql-driver/mysql"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ent"
)

// ApplyEvents writes a batch of events: on MySQL in a few transactions at
// once, each of a run of applications (applyInParts); on SQLite in one
// transaction. Every statement is
// idempotent: creations insert-or-ignore on the unique number keys, and an
// edit only replaces a body whose version is older. A message event whose
// chat row is not there yet creates the chat row too, so that the order in
// which workers happen to apply events does not matter.
func (s *Store) ApplyEvents(ctx context.Context, events []domain.Event) (domain.Touched, error) {
	if len(events) == 0 {
		return domain.Touched{}, nil
	}
	parts := s.applyParts
	if s.dialect != dialect.MySQL {
		parts = 1 // SQLite has one writer: one transaction for the batch
	}
	return s.applyInParts(ctx, events, parts)
}

// defaultApplyParts: see WithApplyParts.
const defaultApplyParts = 4

// WithApplyParts sets how many transactions at most one batch is applied
// in on MySQL, at once (each holds a connection): 1 applies it in one.
func (s *Store) WithApplyParts(n int) *Store {
	s.applyParts = max(n, 1)
	return s
}

// applyInParts splits the batch's applications (in token order) into up to
// parts runs, and applies each run in a transaction of its own, all at
// once: a batch costs the longest run's round trips rather than the sum of
// every application's, and two batches wait for each other only on the
// applications they share. Every transaction locks its applications' rows
// in token order, so that none waits for another in a cycle. When one
// fails the batch fails and is retried; the runs already committed apply
// again as redeliveries (each is idempotent, its counters recounted
// exactly). An application's events are always in one transaction.
func (s *Store) applyInParts(ctx context.Context, events []domain.Event, parts int) (domain.Touched, error) {
	apps := byApplication(events)
	parts = min(parts, len(apps))
	var (
		mu      sync.Mutex
		wg      sync.WaitGroup
		touched domain.Touched
		first   error
		firstAt = parts
	)
	for i := range parts {
		run := apps[i*len(apps)/parts : (i+1)*len(apps)/parts]
		wg.Add(1)
		go func() {
			defer wg.Done()
			var t domain.Touched
			err := s.inTx(ctx, func(tx *ent.Client) error {
				for _, group := range run {
					got, err := s.applyOne(ctx, tx, group)
					t.Merge(got)
					if err != nil {
						return err
					}
				}
				return nil
			})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				touched.Merge(t)
				return
			}
			for _, group := range run {
				s.forgetChats(group) // a rolled-back transaction may have cached ids of its rows
			}
			if i < firstAt { // the first run's error, in token order: deterministic
				first, firstAt = err, i
			}
		}()
	}
	wg.Wait()
	return touched, first
}

// SQLTx is the transaction ApplyAllocated lends: plain SQL on it is part of
// the same transaction as the rows it writes.
type SQLTx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// ApplyAllocated runs allocate and applies the events it returns in one
// transaction, so that numbers and the rows they number are committed
// together, with one sync (the embedded profile's group commit).
func (s *Store) ApplyAllocated(ctx context.Context, allocate func(ctx context.Context, tx SQLTx) ([]domain.Event, error)) (domain.Touched, error) {
	var touched domain.Touched
	var events []domain.Event
	err := s.inTx(ctx, func(tx *ent.Client) (err error) {
		events, err = allocate(ctx, tx)
		if err != nil || len(events) == 0 {
			return err
		}
		touched, err = s.apply(ctx, tx, events)
		return err
	})
	if err != nil {
		s.forgetChats(events)
	}
	return touched, err
}

// apply writes events inside tx, and adds what it inserted to the
// counters in the same transaction, so that a counter's cost follows the
// writes and never the size of the chat. It returns the applications and
// chats whose counters it could not account for exactly (a batch that met
// rows already there: redeliveries), for an exact recount.
//
// Each statement reaches rows of one application: the batch is applied one
// application at a time (in token order, so that concurrent batches lock in
// one order), which is what a store sharded by application needs (see
// docs/SCALING.md; TestEveryStatementReachesOneApplication).
func (s *Store) apply(ctx context.Context, tx *ent.Client, events []domain.Event) (domain.Touched, error) {
	var touched domain.Touched
	for _, group := range byApplication(events) {
		t, err := s.applyOne(ctx, tx, group)
		touched.Merge(t)
		if err != nil {
			return touched, err
		}
	}
	return touched, nil
}

// byApplication splits events by application, in token order, each
// application's in the order they came.
func byApplication(events []domain.Event) [][]domain.Event {
	byApp := map[domain.Token][]domain.Event{}
	var tokens []domain.Token
	for _, e := range events {
		token, _, _, _, _ := domain.Subject(e)
		if _, seen := byApp[token]; !seen {
			tokens = append(tokens, token)
		}
		byApp[token] = append(byApp[token], e)
	}
	slices.Sort(tokens)
	out := make([][]domain.Event, len(tokens))
	for i, token := range tokens {
		out[i] = byApp[token]
	}
	return out
}

// applyOne applies the events of one application.
func (s *Store) applyOne(ctx context.Context, tx *ent.Client, events []domain.Event) (domain.Touched, error) {
	var touched domain.Touched
	var chats []domain.ChatCreated
	var created []domain.MessageCreated
	var edited []domain.MessageEdited
	var deleted []domain.MessageDeleted
	for _, e := range events {
		switch e := e.(type) {
		case domain.ChatCreated:
			chats = append(chats, e)
		case domain.MessageCreated:
			created = append(created, e)
		case domain.MessageEdited:
			edited = append(edited, e)
		case domain.MessageDeleted:
			deleted = append(deleted, e)
		default:
			return touched, fmt.Errorf("%w: unknown event %T", domain.ErrInvalidEvent, e)
		}
	}
	// Older edits first, so that within a batch each later edit supersedes.
	sort.Slice(edited, func(i, j int) bool { return edited[i].Version < edited[j].Version })
	err := func() error {
		if err := s.insertChats(ctx, tx, chats, &touched); err != nil {
			return err
		}
		if err := s.setUpChats(ctx, tx, chats); err != nil {
			return err
		}
		if err := s.ensureChats(ctx, tx, created, edited, deleted); err != nil {
			return err
		}
		if err := s.checkMessageEpochs(ctx, tx, created, edited, deleted); err != nil {
			return err
		}
		if err := s.insertMessages(ctx, tx, created, &touched); err != nil {
			return err
		}
		for _, e := range edited {
			if err := s.applyEdit(ctx, tx, e); err != nil {
				return err
			}
		}
		for _, e := range deleted {
			if err := s.applyDelete(ctx, tx, e); err != nil {
				return err
			}
		}
		return s.keepKeys(ctx, tx, events)
	}()
	if err != nil && orphaned(err) {
		if token, _, _, _, _ := domain.Subject(events[0]); s.deleted(ctx, tx, token) {
			return domain.Touched{}, nil // in flight when its application was deleted: nothing to keep
		}
	}
	return touched, err
}

// orphaned says whether err is an event's application or chat missing
// (unknown, or its row removed under a worker's cached id): only then
// may the application have been deleted. Other errors (a deadlock rolls
// the whole transaction back) are retried as they are.
func orphaned(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) && (me.Number == 1452 || me.Number == 1216) { // a foreign key's parent row missing
		return true
	}
	return errors.Is(err, domain.ErrInvalidEvent) || strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}

func (s *Store) inTx(ctx context.Context, fn func(tx *ent.Client) error) error {
	tx, err := s.client.Tx(ctx)
	if err != nil {
		return storeErr(err, "")
	}
	if err := fn(tx.Client()); err != nil {
		_ = tx.Rollback()
		return err
	}
	return storeErr(tx.Commit(), "")
}

func (s *Store) forgetChats(events []domain.Event) {
	for _, e := range events {
		switch e := e.(type) {
		case domain.MessageCreated:
			s.chatIDs.Delete(domain.ChatKey{Token: e.Token, Number: e.Chat})
		case domain.MessageEdited:
			s.chatIDs.Delete(domain.ChatKey{Token: e.Token, Number: e.Chat})
		case domain.MessageDeleted:
			s.chatIDs.Delete(domain.ChatKey{Token: e.Token, Number: e.Chat})
		}
	}
}

// eventErr marks an event naming an application that does not exist as one
// that can never be applied; other errors stay retryable.
func eventErr(err error) error {
	if errors.Is(err, domain.ErrNotFound) {
		return fmt.Errorf("%w: %v", domain.ErrInvalidEvent, err)
	}
	return err
}
