// Placeholder entry; replaced by the commander-based CLI.
process.stdout.write("entra-connector\n");
