package cec

import "time"

// SetIdleHook makes Run call f after every step (a received frame or a
// timer), before it waits again. Set it before Run.
func (c *Controller) SetIdleHook(f func()) { c.idle = f }

// WaitTransmits blocks until every queued reply was handed to the device.
// Call it only while Run is idle.
func (c *Controller) WaitTransmits() { c.txPending.Wait() }

// Deadline returns when the autorepeat machine next has work.
func (c *Controller) Deadline() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rep.deadline()
}
