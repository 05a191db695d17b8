// Throws while it is imported: a configuration check at init that fails.
throw new Error("cannot reach the configuration service");
