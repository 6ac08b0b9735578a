// Package entstore is the system of record behind ent: MySQL in production,
// SQLite in the embedded profile. It implements the store ports (reads, the
// projection of events, counters and sequence seeds). Only this package
// imports ent; ent types never leave it.
package entstore

import (
	"context"
	"database/sql"
	"errors"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/go-sql-driver/mysql"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ent"
	"github.com/chatsvc/chat/ent/application"
	"github.com/chatsvc/chat/ent/chat"
)

// Store implements ports.ApplicationStore, ChatReader, MessageReader,
// SequenceSeeds, Projection and Counters.
type Store struct {
	db      *sql.DB
	client  *ent.Client
	dialect string
	// rdb and rclient serve the api's reads of chats and messages: the
	// primary's, or a replica's (WithReplica).
	rdb     *sql.DB
	rclient *ent.Client

	// Ids never change once a row exists, so they are cached for the worker's
	// hot path; nothing is ever deleted, so the caches never go stale.
	appIDs  *idCache[domain.Token]
	chatIDs *idCache[domain.ChatKey]

	applyParts int // WithApplyParts
}

// New wraps an open database of the given ent dialect (dialect.MySQL or dialect.SQLite).
func New(db *sql.DB, dialectName string) *Store {
	client := ent.NewClient(ent.Driver(entsql.OpenDB(dialectName, db)))
	return &Store{db: db, client: client, dialect: dialectName, rdb: db, rclient: client,
		appIDs: newIDCache[domain.Token](1 << 20), chatIDs: newIDCache[domain.ChatKey](4 << 20), applyParts: defaultApplyParts}
}

// WithReplica makes the api's reads of chats and messages (a chat, a list
// of chats, a message, a page of messages, the search fallback, the long
// poll's numbers) go to a read replica; writes, applications (readable the
// moment they are made), the worker and the maintenance commands stay on
// the primary. What the replica has not applied yet reads as not yet
// persisted.
func (s *Store) WithReplica(replica *sql.DB) *Store {
	s.rdb, s.rclient = replica, ent.NewClient(ent.Driver(entsql.OpenDB(s.dialect, replica)))
	return s
}

// ReadsFromReplica says whether the api's reads go to a replica (WithReplica).
func (s *Store) ReadsFromReplica() bool { return s.rdb != s.db }

// Ping tells whether the database (and its replica, if any) answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return err
	}
	return s.rdb.PingContext(ctx)
}

// Close closes the pools.
func (s *Store) Close() error {
	if s.rclient != s.client {
		_ = s.rclient.Close()
	}
	return s.client.Close()
}

// storeErr maps ent's errors to the domain's: a missing row is "not found"
// with the caller's message, anything else means the database let us down.
func storeErr(err error, notFound string) error {
	if err == nil {
		return nil
	}
	if ent.IsNotFound(err) {
		return domain.NotFoundf("%s", notFound)
	}
	// A value the schema refuses is the request's fault, never "unavailable"
	// (the domain checks first; this is the net under it).
	var ve *ent.ValidationError
	if errors.As(err, &ve) {
		return &domain.ValidationError{Field: ve.Name, Reason: "is not valid"}
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1406, 1366, 1264: // data too long, incorrect string value, out of range
			return &domain.ValidationError{Field: "value", Reason: "does not fit the stored field"}
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return domain.AsUnavailable("database", err)
}

func toApplication(a *ent.Application) domain.Application {
	name, _ := domain.NewName(a.Name) // stored names were validated on the way in
	return domain.Application{
		Token: domain.Token(a.Token), Name: name, ChatsCount: a.ChatsCount,
		CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC(), Access: accessOf(a),
	}
}

func toChat(c *ent.Chat) domain.Chat {
	return domain.Chat{Number: c.Number, MessagesCount: c.MessagesCount, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

// CreateApplication inserts a new application.
func (s *Store) CreateApplication(ctx context.Context, app domain.Application) error {
	return s.CreateApplicationKeyed(ctx, app, domain.Idempotency{})
}

// CreateApplicationKeyed stores app and the key of the request that made it
// in one transaction (see keepApplicationKey).
func (s *Store) CreateApplicationKeyed(ctx context.Context, app domain.Application, idem domain.Idempotency) error {
	create := func(c *ent.Client) (int, error) {
		row, err := c.Application.Create().
			SetToken(string(app.Token)).SetName(app.Name.String()).
			SetCreatedAt(app.CreatedAt).SetUpdatedAt(app.UpdatedAt).
			SetAccess(string(modeOf(app.Access))).SetSecretHash(app.Access.Current.Hex()).Save(ctx)
		if err != nil {
			return 0, storeErr(err, "")
		}
		return row.ID, nil
	}
	var id int
	var err error
	if idem.Key == "" {
		id, err = create(s.client)
	} else {
		err = s.inTx(ctx, func(tx *ent.Client) error {
			if id, err = create(tx); err != nil {
				return err
			}
			return s.keepApplicationKey(ctx, tx, app, idem)
		})
	}
	if err != nil {
		return err
	}
	s.appIDs.Store(app.Token, id)
	return nil
}

// Application reads one application by token.
func (s *Store) Application(ctx context.Context, token domain.Token) (domain.Application, error) {
	a, err := s.client.Application.Query().Where(application.Token(string(token))).Only(ctx)
	if err != nil {
		return domain.Application{}, storeErr(err, "application not found")
	}
	app := toApplication(a)
	app.RetentionDays, err = retentionOf(ctx, s.db, token, 0)
	return app, err
}

// Applications pages through applications by token.
func (s *Store) Applications(ctx context.Context, page domain.PageRequest[domain.Token]) (domain.Page[domain.Application], error) {
	// A deleted application's row waits for its job under a hidden token.
	q := s.client.Application.Query().Where(application.Not(application.TokenHasPrefix("~"))).
		Order(ent.Asc(application.FieldToken)).Limit(page.Limit + 1)
	if page.After != "" {
		q = q.Where(application.TokenGT(string(page.After)))
	}
	rows, err := q.All(ctx)
	if err != nil {
		return domain.Page[domain.Application]{}, storeErr(err, "")
	}
	out := make([]domain.Application, len(rows))
	for i, r := range rows {
		out[i] = toApplication(r)
		if out[i].RetentionDays, err = retentionOf(ctx, s.db, out[i].Token, 0); err != nil {
			return domain.Page[domain.Application]{}, err
		}
	}
	return domain.TrimPage(out, page.Limit), nil
}

// appID resolves a token to its row id, from the cache when it can.
func (s *Store) appID(ctx context.Context, client *ent.Client, token domain.Token) (int, error) {
	if id, ok := s.appIDs.Load(token); ok {
		return id, nil
	}
	id, err := client.Application.Query().Where(application.Token(string(token))).OnlyID(ctx)
	if err != nil {
		return 0, storeErr(err, "application not found")
	}
	s.appIDs.Store(token, id)
	return id, nil
}

func (s *Store) chatID(ctx context.Context, client *ent.Client, key domain.ChatKey) (int, error) {
	if id, ok := s.chatIDs.Load(key); ok {
		return id, nil
	}
	appID, err := s.appID(ctx, client, key.Token)
	if err != nil {
		return 0, err
	}
	id, err := client.Chat.Query().Where(chat.ApplicationID(appID), chat.Number(key.Number)).OnlyID(ctx)
	if err != nil {
		return 0, storeErr(err, "chat not found in this application")
	}
	s.chatIDs.Store(key, id)
	return id, nil
}

// ChatExists answers from the id cache when it can: a chat once persisted
// stays.
func (s *Store) ChatExists(ctx context.Context, token domain.Token, number int64) error {
	_, err := s.chatID(ctx, s.rclient, domain.ChatKey{Token: token, Number: number})
	return err
}

// Chat reads one persisted chat.
func (s *Store) Chat(ctx context.Context, token domain.Token, number int64) (domain.Chat, error) {
	appID, err := s.appID(ctx, s.rclient, token)
	if err != nil {
		return domain.Chat{}, err
	}
	c, err := s.rclient.Chat.Query().Where(chat.ApplicationID(appID), chat.Number(number)).Only(ctx)
	if err != nil {
		return domain.Chat{}, storeErr(err, "chat not found in this application")
	}
	return toChat(c), nil
}

// Chats pages through an application's chats by number, in the direction
// the request walks (the closest first).
func (s *Store) Chats(ctx context.Context, token domain.Token, page domain.PageRequest[int64]) (domain.Page[domain.Chat], error) {
	appID, err := s.appID(ctx, s.rclient, token)
	if err != nil {
		return domain.Page[domain.Chat]{}, err
	}
	q := s.rclient.Chat.Query().Where(chat.ApplicationID(appID), chat.NumberGT(page.After))
	if page.Before > 0 {
		q = q.Where(chat.NumberLT(page.Before))
	}
	order := ent.Asc(chat.FieldNumber)
	if page.Backward {
		order = ent.Desc(chat.FieldNumber)
	}
	rows, err := q.Order(order).Limit(page.Limit + 1).All(ctx)
	if err != nil {
		return domain.Page[domain.Chat]{}, storeErr(err, "")
	}
	out := make([]domain.Chat, len(rows))
	for i, r := range rows {
		out[i] = toChat(r)
	}
	return domain.TrimPage(out, page.Limit), nil
}

// The two hottest reads scan rows straight into domain values: ent's
// generic scanning was half of a page's CPU. They read the columns ent's
// schema declares.
const messageColumns = "number, body, author, kind, attributes, reply_to, reply_count, created_at, updated_at"

// scanMessage reads messageColumns, then into extra what follows them.
func scanMessage(rows *sql.Rows, extra ...any) (domain.Message, error) {
	var m domain.Message
	var body string
	err := rows.Scan(append([]any{&m.Number, &body, &m.Author, &m.Type, &m.Attributes, &m.ReplyTo, &m.ReplyCount, &m.CreatedAt, &m.UpdatedAt}, extra...)...)
	m.Body, m.CreatedAt, m.UpdatedAt = domain.StoredBody(body), m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	return m, err
}

// Message reads one persisted message; a deleted one is not found, with
// domain.ErrDeleted.
func (s *Store) Message(ctx context.Context, token domain.Token, chatNumber, number int64) (domain.Message, error) {
	chatID, err := s.chatID(ctx, s.rclient, domain.ChatKey{Token: token, Number: chatNumber})
	if err != nil {
		return domain.Message{}, err
	}
	rows, err := s.rdb.QueryContext(ctx, "SELECT "+messageColumns+", deleted FROM messages WHERE chat_id = ? AND number = ?", chatID, number)
	if err != nil {
		return domain.Message{}, storeErr(err, "")
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return domain.Message{}, storeErr(err, "")
		}
		return domain.Message{}, domain.NotFoundf("message not found in this chat")
	}
	var deleted bool
	m, err := scanMessage(rows, &deleted)
	if err == nil && deleted {
		return domain.Message{}, &domain.NotFoundError{Message: "message not found in this chat", Deleted: true}
	}
	return m, storeErr(err, "")
}

// Messages pages through a chat's messages by number, in the direction the
// request walks (the closest first).
func (s *Store) Messages(ctx context.Context, token domain.Token, chatNumber int64, page domain.PageRequest[int64]) (domain.Page[domain.Message], error) {
	return s.messagesWhere(ctx, token, chatNumber, page, "")
}

// Replies pages through the messages that answer message parent, as
// Messages pages a chat's.
func (s *Store) Replies(ctx context.Context, token domain.Token, chatNumber, parent int64, page domain.PageRequest[int64]) (domain.Page[domain.Message], error) {
	return s.messagesWhere(ctx, token, chatNumber, page, " AND reply_to = ?", parent)
}

// messagesWhere is Messages with a condition more (and its arguments).
func (s *Store) messagesWhere(ctx context.Context, token domain.Token, chatNumber int64, page domain.PageRequest[int64], cond string, condArgs ...any) (domain.Page[domain.Message], error) {
	chatID, err := s.chatID(ctx, s.rclient, domain.ChatKey{Token: token, Number: chatNumber})
	if err != nil {
		return domain.Page[domain.Message]{}, err
	}
	query, args := "SELECT "+messageColumns+" FROM messages WHERE chat_id = ?"+cond+" AND deleted = ? AND number > ?", append(append([]any{chatID}, condArgs...), false, page.After)
	if page.Before > 0 {
		query, args = query+" AND number < ?", append(args, page.Before)
	}
	if page.Backward {
		query += " ORDER BY number DESC LIMIT ?"
	} else {
		query += " ORDER BY number LIMIT ?"
	}
	rows, err := s.rdb.QueryContext(ctx, query, append(args, page.Limit+1)...)
	if err != nil {
		return domain.Page[domain.Message]{}, storeErr(err, "")
	}
	defer rows.Close()
	out := make([]domain.Message, 0, page.Limit+1)
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return domain.Page[domain.Message]{}, storeErr(err, "")
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return domain.Page[domain.Message]{}, storeErr(err, "")
	}
	return domain.TrimPage(out, page.Limit), nil
}

// TakenNumbers lists the chat's message numbers after after, deleted ones
// included, in order (the long poll's "nothing skipped" check).
func (s *Store) TakenNumbers(ctx context.Context, token domain.Token, chatNumber, after int64, limit int) ([]int64, error) {
	chatID, err := s.chatID(ctx, s.rclient, domain.ChatKey{Token: token, Number: chatNumber})
	if err != nil {
		return nil, err
	}
	return int64s(ctx, s.rdb, "SELECT number FROM messages WHERE chat_id = ? AND number > ? ORDER BY number LIMIT ?", chatID, after, limit)
}

// ChatSeed is the highest persisted chat number of the application.
func (s *Store) ChatSeed(ctx context.Context, token domain.Token) (int64, error) {
	appID, err := s.appID(ctx, s.client, token)
	if err != nil {
		return 0, err
	}
	var max sql.NullInt64
	err = s.db.QueryRowContext(ctx, "SELECT MAX(number) FROM chats WHERE application_id = ?", appID).Scan(&max)
	return max.Int64, storeErr(err, "")
}

// MessageSeed is the highest persisted message number and edit version of the chat.
func (s *Store) MessageSeed(ctx context.Context, token domain.Token, chatNumber int64) (int64, int64, error) {
	chatID, err := s.chatID(ctx, s.client, domain.ChatKey{Token: token, Number: chatNumber})
	if err != nil {
		return 0, 0, err
	}
	var number, version sql.NullInt64
	err = s.db.QueryRowContext(ctx, "SELECT MAX(number), MAX(version) FROM messages WHERE chat_id = ?", chatID).Scan(&number, &version)
	return number.Int64, version.Int64, storeErr(err, "")
}

// isSQLite says whether the store runs on the embedded database.
func (s *Store) isSQLite() bool { return s.dialect == dialect.SQLite }
