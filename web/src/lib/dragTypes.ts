// The drag-and-drop data type of a sidebar chat row (dropped on a folder to move it in).
export const CONVERSATION_DRAG_TYPE = 'application/x-rechat-conversation'
