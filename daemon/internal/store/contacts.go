package store

// Contact returns the contact named username.
func (t *Tx) Contact(username string) (Contact, bool, error) {
	var c Contact
	ok, err := getJSON(t.b(bContacts), []byte(username), &c)
	return c, ok, err
}

// PutContact stores c under c.Username.
func (t *Tx) PutContact(c Contact) error {
	if c.Trust == "" {
		c.Trust = Unverified
	}
	return putJSON(t.b(bContacts), []byte(c.Username), c)
}

// Contacts returns every contact in username order.
func (t *Tx) Contacts() ([]Contact, error) {
	var out []Contact
	err := t.b(bContacts).ForEach(func(k, _ []byte) error {
		c, _, err := t.Contact(string(k))
		out = append(out, c)
		return err
	})
	return out, err
}
