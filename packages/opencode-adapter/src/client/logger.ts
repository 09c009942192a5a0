/** A log field for an error: its name and message, never a stack or a request body. */
export function errorField(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "Error", message: String(error) };
}
