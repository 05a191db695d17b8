import { sumOfSquares } from "../../common/arrayOps";

export const handler = async () => ({ statusCode: 200, body: String(sumOfSquares(1000)) });
