package domain

import "time"

// MaxRetentionDays bounds a retention (100 years): beyond, keep forever.
const MaxRetentionDays = 36500

// RetentionReason is a MessageDeleted's Reason when a retention expired it.
const RetentionReason = "retention"

// CheckRetentionDays accepts a retention in days: a positive whole number
// up to MaxRetentionDays.
func CheckRetentionDays(days int64) error {
	if days < 1 || days > MaxRetentionDays {
		return &ValidationError{Field: "retention_days", Reason: "must be a whole number of days from 1 to 36500, or null"}
	}
	return nil
}

// RetentionPolicy is how long an application's messages (Chat 0), or one
// chat's, are kept: a chat's overrides its application's.
type RetentionPolicy struct {
	Token Token
	Chat  int64
	Days  int
}

// Cutoff is the creation time before which a message has expired at now.
func (p RetentionPolicy) Cutoff(now time.Time) time.Time {
	return now.Add(-time.Duration(p.Days) * 24 * time.Hour)
}
