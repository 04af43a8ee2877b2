/** Command ids of the extension (palette category "nbtrack"). */
export namespace CommandIDs {
  export const openPanel = 'nbtrack:open-panel';
  export const refresh = 'nbtrack:refresh';
  export const diff = 'nbtrack:diff';
  export const openSnapshot = 'nbtrack:open-snapshot';
  export const rename = 'nbtrack:rename';
  export const tag = 'nbtrack:tag';
  export const note = 'nbtrack:note';
  export const remove = 'nbtrack:delete';
  export const verify = 'nbtrack:verify';
}
