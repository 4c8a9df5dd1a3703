package radiustest

// Stop stops the server before the test ends (a RADIUS server that went
// away: requests to its ports go unanswered). The test's cleanup then
// has nothing left to stop.
func (f *FreeRADIUS) Stop() { f.stop() }
