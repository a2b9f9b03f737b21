"""Forms: every POST form and every list's query parameters parsed and validated here (WTForms), one module
per area, so that routes and repositories receive typed values and never read `request.form` themselves."""
