/** What a camera id may be: the registry's field names, channel and key names, and file names are built from it. */
export const CAMERA_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
