package entstore

import (
	"context"

	"entgo.io/ent/dialect/sql"

	"github.com/chatsvc/chat/domain"
	"github.com/chatsvc/chat/ent"
	"github.com/chatsvc/chat/ent/application"
)

// UpdateApplication changes an application in one transaction, its row
// locked (on MySQL; SQLite's transactions exclude each other already).
func (s *Store) UpdateApplication(ctx context.Context, token domain.Token, change func(domain.Application) (domain.Application, error)) (domain.Application, error) {
	var out domain.Application
	err := s.inTx(ctx, func(tx *ent.Client) error {
		q := tx.Application.Query().Where(application.Token(string(token)))
		if !s.isSQLite() {
			q.Modify(func(sel *sql.Selector) { sel.ForUpdate() })
		}
		row, err := q.Only(ctx)
		if err != nil {
			return storeErr(err, "application not found")
		}
		cur := toApplication(row)
		if cur.RetentionDays, err = retentionOf(ctx, tx, token, 0); err != nil {
			return err
		}
		next, err := change(cur)
		if err != nil {
			return err
		}
		if next.RetentionDays != cur.RetentionDays {
			if err := s.setRetention(ctx, tx, token, 0, next.RetentionDays); err != nil {
				return err
			}
		}
		a := next.Access
		up := row.Update().SetName(next.Name.String()).SetUpdatedAt(next.UpdatedAt).
			SetAccess(string(modeOf(a))).SetSecretHash(a.Current.Hex()).SetPreviousSecretHash(a.Previous.Hex())
		if a.PreviousUntil.IsZero() {
			up.ClearPreviousUntil()
		} else {
			up.SetPreviousUntil(a.PreviousUntil)
		}
		if _, err := up.Save(ctx); err != nil {
			return storeErr(err, "")
		}
		out = next
		return nil
	})
	return out, err
}

// modeOf is an access's mode, open when none was set.
func modeOf(a domain.AppAccess) domain.Access {
	if a.Mode == "" {
		return domain.AccessOpen
	}
	return a.Mode
}

func accessOf(a *ent.Application) domain.AppAccess {
	// Stored hashes were written by Hex: one that does not read is none.
	out := domain.AppAccess{Mode: domain.Access(a.Access)}
	out.Current, _ = domain.ParseSecretHash(a.SecretHash)
	out.Previous, _ = domain.ParseSecretHash(a.PreviousSecretHash)
	if a.PreviousUntil != nil {
		out.PreviousUntil = a.PreviousUntil.UTC()
	}
	return out
}
