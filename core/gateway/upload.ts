import { Transform } from "node:stream";
import { PlatformError } from "../errors";

const size = (bytes: number) => (bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MiB` : `${Math.round(bytes / 1024)} KiB`);

/**
 * Uploads reach stream actions unparsed (the JSON body limit does not apply), so each such action
 * bounds what it will read: put this in its pipeline. Past `maxBytes` the pipeline fails with
 * PAYLOAD_TOO_LARGE, whether or not the client announced a length.
 */
export function uploadLimit(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > maxBytes) {
        done(new PlatformError("PAYLOAD_TOO_LARGE", { "zh-CN": `上传文件超过 ${size(maxBytes)}`, en: `The upload is larger than ${size(maxBytes)}` }));
        return;
      }
      done(null, chunk);
    },
  });
}
